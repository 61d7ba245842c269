-- One row per customer per version (type 2, from snp_customers): segment, region, first purchase
-- date, total orders and lifetime value as of each build that saw them change.
with

snapshot as (
    select * from {{ ref('snp_customers') }}
),

final as (
    select
        dbt_scd_id as customer_version_id,
        customer_id,
        segment,
        signup_channel,
        campaign_id,
        birth_year,
        city,
        region,
        country,
        is_marketing_opted_in,
        preferred_channel,
        language,
        registered_at,
        first_purchase_date,
        last_purchase_date,
        total_orders,
        lifetime_value,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        dbt_valid_to is null as is_current
    from snapshot
)

select * from final
