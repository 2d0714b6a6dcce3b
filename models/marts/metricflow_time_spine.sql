-- One row per calendar day from 2000 to 2040: the time spine that MetricFlow joins its dates to
-- (docs/metrics.md). The embedded data lies in 2016-2017; the course's CSV files have no dates.
select cast(date '2000-01-01' + cast(days.n as integer) as date) as date_day
from {{ integer_range(0, 14976, 'days', 'n') }}
