-- One row per dimension with inferred members: how many of its current members facts reference
-- without their master-data event having arrived (docs/decisions/inferred-members.md). Shown on
-- the Data Quality dashboard; the dimensions' warn-severity tests report the same members.
with

customers as (
    select * from {{ ref('dim_customers') }}
    where is_current
),

products as (
    select * from {{ ref('dim_products') }}
    where is_current
),

warehouses as (
    select * from {{ ref('dim_warehouses') }}
),

carriers as (
    select * from {{ ref('dim_carriers') }}
),

suppliers as (
    select * from {{ ref('dim_suppliers') }}
),

campaigns as (
    select * from {{ ref('dim_campaigns') }}
),

counted as (
    select
        'dim_customers' as dimension_name,
        count(*) as members,
        coalesce(count_if(is_inferred), 0) as inferred_members
    from customers
    union all
    select
        'dim_products' as dimension_name,
        count(*) as members,
        coalesce(count_if(is_inferred), 0) as inferred_members
    from products
    union all
    select
        'dim_warehouses' as dimension_name,
        count(*) as members,
        coalesce(count_if(is_inferred), 0) as inferred_members
    from warehouses
    union all
    select
        'dim_carriers' as dimension_name,
        count(*) as members,
        coalesce(count_if(is_inferred), 0) as inferred_members
    from carriers
    union all
    select
        'dim_suppliers' as dimension_name,
        count(*) as members,
        coalesce(count_if(is_inferred), 0) as inferred_members
    from suppliers
    union all
    select
        'dim_campaigns' as dimension_name,
        count(*) as members,
        coalesce(count_if(is_inferred), 0) as inferred_members
    from campaigns
),

final as (
    select
        dimension_name,
        members,
        inferred_members::bigint as inferred_members,
        if(members = 0, 0, inferred_members / members)::double as inferred_share
    from counted
)

select * from final
