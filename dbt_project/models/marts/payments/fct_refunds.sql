-- One row per refund: money returned to a customer for a return, cancellation or chargeback.
with

refunds as (
    select * from {{ ref('stg_payments__refunds_processed') }}
),

final as (
    select
        refund_id,
        payment_id,
        order_id,
        customer_id,
        return_id,
        amount,
        currency,
        provider,
        reason,
        occurred_at as refunded_at,
        occurred_at::date as refunded_date
    from refunds
    qualify row_number() over (partition by refund_id order by occurred_at, event_id) = 1
)

select * from final
