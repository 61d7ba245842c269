with

events as (
    {{ deduplicated_events('inventory', 'StockReserved') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"product_id":"VARCHAR","warehouse_id":"VARCHAR","order_id":"VARCHAR","quantity":"INTEGER","quantity_available":"INTEGER"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        product_id,
        warehouse_id,
        order_id,
        quantity,
        quantity_available,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
