-- The receipt sends as csv files, one per send, for the receipt system (exposures.yml).
{{ export_send_list('receipt', 'csv') }}
