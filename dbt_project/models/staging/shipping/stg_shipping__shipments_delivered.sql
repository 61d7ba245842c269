with

events as (
    {{ deduplicated_events('shipping', 'ShipmentDelivered') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"shipment_id":"VARCHAR","order_id":"VARCHAR","carrier":"VARCHAR","promised_delivery_date":"DATE"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        shipment_id,
        order_id,
        carrier,
        promised_delivery_date,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
