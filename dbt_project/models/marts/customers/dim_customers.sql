-- One row per customer per version (type 2, from snp_customers): segment, region, first purchase
-- date, total orders and lifetime value as of each build that saw them change. Customers that
-- facts reference before their registration are inferred members until it arrives; then their
-- placeholder versions drop out (docs/decisions/inferred-members.md).
with

snapshot as (
    select * from {{ ref('snp_customers') }}
),

versions as (
    -- versions snapshotted before inferred members existed are real ones
    select * replace (coalesce(is_inferred, false) as is_inferred)
    from snapshot
),

filled_in as (
    select distinct customer_id
    from versions
    where not is_inferred
),

final as (
    select
        versions.dbt_scd_id as customer_version_id,
        versions.customer_id,
        versions.is_inferred,
        versions.segment,
        versions.signup_channel,
        versions.campaign_id,
        versions.birth_year,
        versions.city,
        versions.region,
        versions.country,
        versions.is_marketing_opted_in,
        versions.preferred_channel,
        versions.language,
        versions.registered_at,
        versions.first_purchase_date,
        versions.last_purchase_date,
        versions.total_orders,
        versions.lifetime_value,
        versions.dbt_valid_from as valid_from,
        versions.dbt_valid_to as valid_to,
        versions.dbt_valid_to is null as is_current
    from versions
    left join filled_in on versions.customer_id = filled_in.customer_id
    -- the placeholders of a filled-in member were never true: its history is its real versions
    where not (versions.is_inferred and filled_in.customer_id is not null)
)

select * from final
