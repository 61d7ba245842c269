-- One row per marketing campaign, as launched, plus the campaigns that spend reports, sessions or
-- registrations name before their launch is known: inferred members
-- (docs/decisions/inferred-members.md).
with

campaigns_launched as (
    select * from {{ ref('stg_marketing__campaigns_launched') }}
),

campaign_spend_reports as (
    select * from {{ ref('stg_marketing__campaign_spend_reports') }}
),

sessions_started as (
    select * from {{ ref('stg_storefront__sessions_started') }}
),

customers_registered as (
    select * from {{ ref('stg_customers__customers_registered') }}
),

launched as (
    select
        campaign_id,
        false as is_inferred,
        name as campaign_name,
        channel,
        utm_campaign,
        start_date,
        end_date,
        budget,
        currency,
        occurred_at as launched_at
    from campaigns_launched
    qualify row_number() over (partition by campaign_id order by occurred_at, event_id) = 1
),

referenced as (
    select campaign_id from campaign_spend_reports
    union
    select campaign_id from sessions_started
    union
    select campaign_id from customers_registered
),

inferred as (
    select
        referenced.campaign_id,
        true as is_inferred,
        'Unknown' as campaign_name,
        null::varchar as channel,
        null::varchar as utm_campaign,
        null::date as start_date,
        null::date as end_date,
        null::decimal(18, 2) as budget,
        null::varchar as currency,
        null::timestamp as launched_at
    from referenced
    anti join launched on referenced.campaign_id = launched.campaign_id
    where referenced.campaign_id is not null
),

final as (
    select * from launched
    union all
    select * from inferred
)

select * from final
