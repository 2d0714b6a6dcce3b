-- The receipt sends as parquet files, one per send, for the receipt system (exposures.yml).
{{ export_send_list('receipt', 'parquet') }}
