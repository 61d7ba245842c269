with

events as (
    {{ deduplicated_events('orders', 'OrderModified') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"order_id":"VARCHAR","customer_id":"VARCHAR","modification":"VARCHAR","delivery_option":"VARCHAR","shipping_city":"VARCHAR","shipping_region":"VARCHAR","shipping_country":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        order_id,
        customer_id,
        modification,
        delivery_option,
        shipping_city,
        shipping_region,
        shipping_country,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
