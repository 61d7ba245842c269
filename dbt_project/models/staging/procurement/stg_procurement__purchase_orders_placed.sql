with

events as (
    {{ deduplicated_events('procurement', 'PurchaseOrderPlaced') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"purchase_order_id":"VARCHAR","supplier_id":"VARCHAR","warehouse_id":"VARCHAR","product_id":"VARCHAR","supplier_name":"VARCHAR","quantity":"INTEGER","unit_cost":"DECIMAL(18,2)","currency":"VARCHAR","promised_date":"DATE"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        purchase_order_id,
        supplier_id,
        warehouse_id,
        product_id,
        supplier_name,
        quantity,
        unit_cost,
        currency,
        promised_date,
        schema_version,
        correlation_id,
        causation_id,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
