-- One row per calendar day and currency from the first to the last order day: the day's revenue
-- (fct_orders.revenue_amount, orders not cancelled) beside the same figure a day, a week, a month
-- and a year earlier, and the change against each. Days without orders count zero; a comparison
-- day before the first order day is unknown (null), not zero.
with

orders as (
    select
        ordered_date,
        currency,
        revenue_amount
    from {{ ref('fct_orders') }}
),

daily as (
    select
        ordered_date as revenue_date,
        currency,
        sum(revenue_amount) as revenue_amount
    from orders
    group by ordered_date, currency
),

order_days as (
    select
        unnest(
            generate_series(min(revenue_date), max(revenue_date), interval 1 day)
        )::date as revenue_date
    from daily
),

currencies as (
    select distinct currency from daily
),

day_spine as (
    select
        order_days.revenue_date,
        currencies.currency
    from order_days
    cross join currencies
),

filled as (
    select
        day_spine.revenue_date,
        day_spine.currency,
        coalesce(daily.revenue_amount, 0) as revenue_amount
    from day_spine
    left join daily
        on
            day_spine.revenue_date = daily.revenue_date
            and day_spine.currency = daily.currency
),

compared as (
    select
        current_day.revenue_date,
        current_day.currency,
        current_day.revenue_amount,
        previous_day.revenue_amount as previous_day_revenue_amount,
        previous_week.revenue_amount as previous_week_revenue_amount,
        previous_month.revenue_amount as previous_month_revenue_amount,
        previous_year.revenue_amount as previous_year_revenue_amount
    from filled as current_day
    left join filled as previous_day
        on
            current_day.currency = previous_day.currency
            and previous_day.revenue_date = current_day.revenue_date - 1
    left join filled as previous_week
        on
            current_day.currency = previous_week.currency
            and previous_week.revenue_date = current_day.revenue_date - 7
    -- The same day of the month before; the month's last day where that day does not exist.
    left join filled as previous_month
        on
            current_day.currency = previous_month.currency
            and previous_month.revenue_date
            = (current_day.revenue_date - interval 1 month)::date
    left join filled as previous_year
        on
            current_day.currency = previous_year.currency
            and previous_year.revenue_date
            = (current_day.revenue_date - interval 1 year)::date
),

final as (
    select
        revenue_date,
        currency,
        revenue_amount::decimal(18, 2) as revenue_amount,
        previous_day_revenue_amount::decimal(18, 2) as previous_day_revenue_amount,
        previous_week_revenue_amount::decimal(18, 2) as previous_week_revenue_amount,
        previous_month_revenue_amount::decimal(18, 2) as previous_month_revenue_amount,
        previous_year_revenue_amount::decimal(18, 2) as previous_year_revenue_amount,
        round(revenue_amount / nullif(previous_day_revenue_amount, 0) - 1, 6)::double
            as day_over_day_change,
        round(revenue_amount / nullif(previous_week_revenue_amount, 0) - 1, 6)::double
            as week_over_week_change,
        round(revenue_amount / nullif(previous_month_revenue_amount, 0) - 1, 6)::double
            as month_over_month_change,
        round(revenue_amount / nullif(previous_year_revenue_amount, 0) - 1, 6)::double
            as year_over_year_change,
        revenue_date::varchar || '/' || currency as revenue_day_id
    from compared
)

select * from final
