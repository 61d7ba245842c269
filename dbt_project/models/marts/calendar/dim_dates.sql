-- One row per calendar day: Gregorian and ISO attributes, US federal holidays and retail peak days
-- (Black Friday, Cyber Monday, Christmas Eve) and the NRF retail 4-5-4 calendar (the retail year
-- starts the Sunday after the Saturday nearest 31 January).
with

days as (
    select * from {{ ref('int_dates_spined') }}
),

retail_year_starts as (
    -- The Saturday nearest 31 January of `year` ends retail year `year - 1`.
    select
        calendar_year as retail_year,
        jan_31 + (((6 - isodow(jan_31)) + 10) % 7 - 3)::integer + 1 as retail_year_start
    from (
        select
            calendar_year,
            make_date(calendar_year, 1, 31) as jan_31
        from (
            select
                unnest(range(
                    year(date '{{ var("date_dimension_start") }}') - 1,
                    year(date '{{ var("date_dimension_end") }}') + 2
                )) as calendar_year
        )
    )
),

calendar as (
    select
        date_day,
        year(date_day) as calendar_year,
        quarter(date_day) as calendar_quarter,
        month(date_day) as calendar_month,
        monthname(date_day) as month_name,
        day(date_day) as day_of_month,
        dayofyear(date_day) as day_of_year,
        isodow(date_day) as iso_day_of_week,
        dayname(date_day) as day_name,
        isoyear(date_day) as iso_year,
        weekofyear(date_day) as iso_week,
        isodow(date_day) in (6, 7) as is_weekend,
        -- nth weekday of the month (1 = first), and whether it is the last one, for holiday rules
        (day(date_day) - 1) // 7 + 1 as weekday_occurrence_in_month,
        month(date_day + interval 7 day) != month(date_day) as is_last_weekday_occurrence_in_month
    from days
),

holidays as (
    select
        *,
        case
            when calendar_month = 1 and day_of_month = 1 then 'New Year''s Day'
            when
                calendar_month = 1 and iso_day_of_week = 1 and weekday_occurrence_in_month = 3
                then 'Martin Luther King Jr. Day'
            when
                calendar_month = 2 and iso_day_of_week = 1 and weekday_occurrence_in_month = 3
                then 'Presidents'' Day'
            when
                calendar_month = 5 and iso_day_of_week = 1 and is_last_weekday_occurrence_in_month
                then 'Memorial Day'
            when calendar_month = 6 and day_of_month = 19 and calendar_year >= 2021 then 'Juneteenth'
            when calendar_month = 7 and day_of_month = 4 then 'Independence Day'
            when
                calendar_month = 9 and iso_day_of_week = 1 and weekday_occurrence_in_month = 1
                then 'Labor Day'
            when
                calendar_month = 10 and iso_day_of_week = 1 and weekday_occurrence_in_month = 2
                then 'Columbus Day'
            when calendar_month = 11 and day_of_month = 11 then 'Veterans Day'
            when
                calendar_month = 11 and iso_day_of_week = 4 and weekday_occurrence_in_month = 4
                then 'Thanksgiving'
            -- retail peak days: the day after Thanksgiving (4th Thursday, so always the 4th Friday
            -- with day >= 23) and the Monday four days later
            when calendar_month = 11 and iso_day_of_week = 5 and day_of_month between 23 and 29 then 'Black Friday'
            when
                (calendar_month = 11 and iso_day_of_week = 1 and day_of_month between 26 and 30)
                or (calendar_month = 12 and iso_day_of_week = 1 and day_of_month between 1 and 2)
                then 'Cyber Monday'
            when calendar_month = 12 and day_of_month = 24 then 'Christmas Eve'
            when calendar_month = 12 and day_of_month = 25 then 'Christmas Day'
        end as holiday_name
    from calendar
),

retail as (
    select
        holidays.*,
        retail_year_starts.retail_year,
        (holidays.date_day - retail_year_starts.retail_year_start) // 7 + 1 as retail_week
    from holidays
    inner join retail_year_starts
        on
            holidays.date_day >= retail_year_starts.retail_year_start
            and holidays.date_day < retail_year_starts.retail_year_start + 371
    -- a day falls in at most two candidate years' 53-week windows; the later start wins
    qualify row_number() over (partition by holidays.date_day order by retail_year_starts.retail_year desc) = 1
),

final as (
    select
        date_day,
        calendar_year,
        calendar_quarter,
        calendar_month,
        month_name,
        day_of_month,
        day_of_year,
        iso_day_of_week,
        day_name,
        iso_year,
        iso_week,
        is_weekend,
        holiday_name,
        retail_year,
        retail_week,
        holiday_name is not null as is_holiday,
        -- 4-5-4: weeks 1-4, 5-9, 10-13 make the quarter's months; week 53 belongs to month 12
        (least(retail_week, 52) - 1) // 13 + 1 as retail_quarter,
        ((least(retail_week, 52) - 1) // 13) * 3
        + case
            when (least(retail_week, 52) - 1) % 13 < 4 then 1
            when (least(retail_week, 52) - 1) % 13 < 9 then 2
            else 3
        end as retail_month,
        strftime(date_day, '%Y%m%d')::integer as date_key
    from retail
)

select * from final
