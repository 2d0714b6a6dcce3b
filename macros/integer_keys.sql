{#- Dense integer keys 0 .. n - 1 for the distinct values of `id_column` in `relation`, per
    `partition` (one numbering per cutoff), as the rows (partition, id_column, key). Spark MLlib's
    ALS needs ids that fit an int. A global row_number() would sort every id in one task; here
    the ids are numbered inside key_buckets buckets (id modulo key_buckets, sorted in parallel),
    and each bucket starts after the ids of the buckets before it (a running sum over the bucket
    counts, a few hundred rows). -#}
{% macro integer_keys(relation, partition, id_column, key_column, key_buckets=256) %}
    select
        numbered.{{ partition }},
        numbered.{{ id_column }},
        cast(bucket_starts.bucket_start + numbered.in_bucket - 1 as integer) as {{ key_column }}
    from (
        select
            ids.{{ partition }},
            ids.{{ id_column }},
            ids.{{ id_column }} % {{ key_buckets }} as bucket,
            row_number() over (
                partition by ids.{{ partition }}, ids.{{ id_column }} % {{ key_buckets }}
                order by ids.{{ id_column }}
            ) as in_bucket
        from (select distinct {{ partition }}, {{ id_column }} from {{ relation }}) as ids
    ) as numbered
    inner join (
        select
            bucket_counts.{{ partition }},
            bucket_counts.bucket,
            sum(bucket_counts.n_ids) over (
                partition by bucket_counts.{{ partition }}
                order by bucket_counts.bucket
                rows between unbounded preceding and current row
            ) - bucket_counts.n_ids as bucket_start
        from (
            select
                {{ partition }},
                {{ id_column }} % {{ key_buckets }} as bucket,
                count(*) as n_ids
            from (select distinct {{ partition }}, {{ id_column }} from {{ relation }}) as ids
            group by {{ partition }}, {{ id_column }} % {{ key_buckets }}
        ) as bucket_counts
    ) as bucket_starts
        on numbered.{{ partition }} = bucket_starts.{{ partition }}
        and numbered.bucket = bucket_starts.bucket
{%- endmacro %}
