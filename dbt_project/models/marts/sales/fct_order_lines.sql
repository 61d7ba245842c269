-- One row per order line (the SALES_FACT grain), priced as ordered and costed with the product
-- version valid when the order was placed. Incremental: recomputes the lines ingested within the
-- lookback window, so late catalog and session events re-cost and re-attribute them, and merges
-- the lines that are new or came out different.
{{
    config(
        materialized='incremental',
        unique_key='order_line_id',
        incremental_strategy='merge',
        on_schema_change='fail'
    )
}}

with

order_lines as (
    select * from {{ ref('int_order_lines_unnested') }}
    {% if is_incremental() %}
        where ingested_at > (
            select max(current_rows.ingested_at) - interval '{{ var("incremental_lookback_hours") }} hours'
            from {{ this }} as current_rows
        )
    {% endif %}
),

product_versions as (
    select * from {{ ref('int_products_versioned') }}
),

sessions as (
    select * from {{ ref('stg_storefront__sessions_started') }}
),

costed as (
    select
        order_lines.order_line_id,
        order_lines.order_id,
        order_lines.line_number,
        order_lines.customer_id,
        order_lines.product_id,
        product_versions.product_version_id,
        order_lines.seller_id,
        order_lines.warehouse_id,
        order_lines.session_id,
        sessions.channel,
        sessions.campaign_id,
        product_versions.department,
        product_versions.category,
        product_versions.subcategory,
        order_lines.ordered_at,
        order_lines.ordered_date,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount,
        order_lines.line_total,
        product_versions.unit_cost,
        order_lines.currency,
        order_lines.promotion_code,
        order_lines.ingested_at
    from order_lines
    left join product_versions
        on
            order_lines.product_id = product_versions.product_id
            and order_lines.ordered_at >= product_versions.valid_from
            and (order_lines.ordered_at < product_versions.valid_to or product_versions.valid_to is null)
    left join sessions on order_lines.session_id = sessions.session_id
),

final as (
    select
        order_line_id,
        order_id,
        line_number,
        customer_id,
        product_id,
        product_version_id,
        seller_id,
        warehouse_id,
        session_id,
        channel,
        campaign_id,
        department,
        category,
        subcategory,
        ordered_at,
        ordered_date,
        quantity,
        unit_price,
        discount,
        line_total,
        unit_cost,
        currency,
        promotion_code,
        ingested_at,
        (quantity * unit_cost)::decimal(18, 2) as cost_amount,
        (line_total - quantity * unit_cost)::decimal(18, 2) as margin_amount
    from costed
)

{{ new_or_changed_rows('final') }}
