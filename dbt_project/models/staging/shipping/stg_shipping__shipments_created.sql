with

events as (
    {{ deduplicated_events('shipping', 'ShipmentCreated') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"shipment_id":"VARCHAR","order_id":"VARCHAR","carrier":"VARCHAR","warehouse_id":"VARCHAR","service_level":"VARCHAR","item_count":"INTEGER","promised_delivery_date":"DATE"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        shipment_id,
        order_id,
        carrier,
        warehouse_id,
        service_level,
        item_count,
        promised_delivery_date,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
