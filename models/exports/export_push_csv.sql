-- The push sends as csv files, one per send, for the push system (exposures.yml).
{{ export_send_list('push', 'csv') }}
