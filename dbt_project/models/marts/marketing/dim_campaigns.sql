-- One row per marketing campaign, as launched.
with

launched as (
    select * from {{ ref('stg_marketing__campaigns_launched') }}
),

final as (
    select
        campaign_id,
        name as campaign_name,
        channel,
        utm_campaign,
        start_date,
        end_date,
        budget,
        currency,
        occurred_at as launched_at
    from launched
    qualify row_number() over (partition by campaign_id order by occurred_at, event_id) = 1
)

select * from final
