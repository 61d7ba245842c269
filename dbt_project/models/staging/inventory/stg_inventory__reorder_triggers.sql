with

events as (
    {{ deduplicated_events('inventory', 'ReorderTriggered') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"product_id":"VARCHAR","warehouse_id":"VARCHAR","quantity_available":"INTEGER","reorder_point":"INTEGER","reorder_quantity":"INTEGER","supplier_id":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        product_id,
        warehouse_id,
        quantity_available,
        reorder_point,
        reorder_quantity,
        supplier_id,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
