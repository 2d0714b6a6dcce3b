-- The push sends as parquet files, one per send, for the push system (exposures.yml).
{{ export_send_list('push', 'parquet') }}
