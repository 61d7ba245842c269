with

events as (
    {{ deduplicated_events('customers', 'CustomerRegistered') }}
),

parsed as (
    select
        * exclude (payload),
        -- unnest expands the typed payload struct into one column per field
        unnest(from_json(payload, '{"customer_id":"VARCHAR","email":"VARCHAR","first_name":"VARCHAR","last_name":"VARCHAR","phone":"VARCHAR","street":"VARCHAR","postal_code":"VARCHAR","ip_address":"VARCHAR"}'))  -- noqa: AL03
    from events
),

renamed as (
    select
        event_id,
        customer_id,
        email,
        first_name,
        last_name,
        phone,
        street,
        postal_code,
        ip_address,
        occurred_at,
        ingested_at
    from parsed
)

select * from renamed
