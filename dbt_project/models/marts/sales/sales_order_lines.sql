-- One row per order line, denormalised for the Sales & Revenue dashboard: the line's amounts and
-- product hierarchy as ordered, the product's current name and brand, the customer's current
-- segment and the order's shipping region. Dashboards filter and group this one table instead of
-- joining four marts on every chart query (docs/decisions/superset-dashboards.md).
with

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

current_products as (
    select * from {{ ref('dim_products') }}
    where is_current
),

current_customers as (
    select * from {{ ref('dim_customers') }}
    where is_current
),

final as (
    select
        order_lines.order_line_id,
        order_lines.order_id,
        order_lines.ordered_at,
        order_lines.ordered_date,
        orders.shipping_region as region,
        order_lines.channel,
        current_customers.segment,
        order_lines.department,
        order_lines.category,
        order_lines.subcategory,
        current_products.brand,
        current_products.product_name,
        orders.is_cancelled,
        order_lines.quantity,
        order_lines.line_total as gross_amount,
        order_lines.margin_amount,
        order_lines.currency
    from order_lines
    left join orders on order_lines.order_id = orders.order_id
    left join current_products on order_lines.product_id = current_products.product_id
    left join current_customers on order_lines.customer_id = current_customers.customer_id
)

select * from final
