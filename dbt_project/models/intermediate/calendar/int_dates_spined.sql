-- One row per calendar day between the date_dimension_start and date_dimension_end vars.
with

days as (
    select
        unnest(
            generate_series(
                date '{{ var("date_dimension_start") }}',
                date '{{ var("date_dimension_end") }}',
                interval 1 day
            )
        )::date as date_day
)

select * from days
