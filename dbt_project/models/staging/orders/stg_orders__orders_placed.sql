with

events as (
    {{ deduplicated_events('orders', 'OrderPlaced') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"order_id":"VARCHAR","customer_id":"VARCHAR","cart_id":"VARCHAR","session_id":"VARCHAR","warehouse_id":"VARCHAR","currency":"VARCHAR","lines":[{"line_number":"INTEGER","product_id":"VARCHAR","seller_id":"VARCHAR","quantity":"INTEGER","unit_price":"DECIMAL(18,2)","discount":"DECIMAL(18,2)","line_total":"DECIMAL(18,2)","promotion_code":"VARCHAR"}],"subtotal":"DECIMAL(18,2)","shipping_fee":"DECIMAL(18,2)","tax":"DECIMAL(18,2)","order_total":"DECIMAL(18,2)","promotion_code":"VARCHAR","shipping_city":"VARCHAR","shipping_region":"VARCHAR","shipping_country":"VARCHAR","delivery_option":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        order_id,
        customer_id,
        cart_id,
        session_id,
        warehouse_id,
        currency,
        lines,
        subtotal,
        shipping_fee,
        tax,
        order_total,
        promotion_code,
        shipping_city,
        shipping_region,
        shipping_country,
        delivery_option,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
