-- The email sends as csv files, one per send, for the email system (exposures.yml).
{{ export_send_list('email', 'csv') }}
