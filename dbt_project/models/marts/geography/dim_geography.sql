-- One row per city (city, region, country) seen in customer addresses or sessions, at the median
-- of its observed coordinates (an order statistic, so rebuilds give the same bytes).
with

registrations as (
    select * from {{ ref('stg_customers__customers_registered') }}
),

profile_updates as (
    select * from {{ ref('stg_customers__profile_updates') }}
),

sessions as (
    select * from {{ ref('stg_storefront__sessions_started') }}
),

places as (
    select
        city,
        region,
        country,
        latitude,
        longitude
    from registrations
    union all
    select
        city,
        region,
        country,
        latitude,
        longitude
    from profile_updates
    union all
    select
        city,
        region,
        country,
        latitude,
        longitude
    from sessions
),

final as (
    select
        city,
        region,
        country,
        md5(country || '|' || region || '|' || city) as geography_id,
        median(latitude) as latitude,
        median(longitude) as longitude
    from places
    group by city, region, country
)

select * from final
