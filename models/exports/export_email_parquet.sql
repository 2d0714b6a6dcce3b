-- The email sends as parquet files, one per send, for the email system (exposures.yml).
{{ export_send_list('email', 'parquet') }}
