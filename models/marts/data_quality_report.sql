-- One row per cleaning rule, in the order the rules are applied: the lines it dropped and their
-- share of all raw lines. The last row counts the lines kept.
with transaction_checks as (

    select * from {{ ref('stg_transaction_checks') }}

),

clean_transactions as (

    select * from {{ ref('stg_transactions') }}

),

rules (rule_order, rule, description) as (

    values
    (1, 'non_positive_quantity', 'quantity is zero or negative'),
    (2, 'non_positive_sales_value', 'sales value is zero or negative'),
    (3, 'missing_value', 'a number is missing (an empty cell in the file)'),
    (4, 'date_out_of_range', 'week, day or time of day outside its range (vars max_week, max_day; time 0-2359)'),
    (5, 'unknown_product', 'the product is not in the product file'),
    (6, 'excluded_department', 'the department is in the excluded_departments seed'),
    (7, 'implausible_amount', 'quantity or sales value above the vars max_quantity, max_sales_value'),
    (8, 'duplicate_line', 'an exact copy of another line'),
    (9, 'kept', 'clean lines in stg_transactions')

),

lines_per_reason as (

    select
        transaction_checks.drop_reason as rule,
        count(*) as lines
    from transaction_checks
    where transaction_checks.drop_reason is not null
    group by transaction_checks.drop_reason

),

raw_total as (

    select count(*) as lines from transaction_checks

),

kept as (

    select count(*) as lines from clean_transactions

),

dropped_by_rules as (

    select coalesce(sum(lines_per_reason.lines), 0) as lines from lines_per_reason

),

rule_lines as (

    select
        rules.rule_order,
        rules.rule,
        rules.description,
        case rules.rule
            when 'kept' then kept.lines
            when 'duplicate_line'
                then raw_total.lines - kept.lines - dropped_by_rules.lines
            else coalesce(lines_per_reason.lines, 0)
        end as lines
    from rules
    cross join raw_total
    cross join kept
    cross join dropped_by_rules
    left join lines_per_reason
        on rules.rule = lines_per_reason.rule

)

select
    rule_lines.rule_order,
    rule_lines.rule,
    rule_lines.description,
    rule_lines.lines,
    rule_lines.lines / raw_total.lines as share_of_raw
from rule_lines
cross join raw_total
order by rule_lines.rule_order
