-- One row per payment attempt (payment_id): initiated, then completed or failed.
with

initiated as (
    select * from {{ ref('stg_payments__payments_initiated') }}
),

completed as (
    select * from {{ ref('stg_payments__payments_completed') }}
),

failed as (
    select * from {{ ref('stg_payments__payments_failed') }}
),

attempts as (
    select
        payment_id,
        order_id,
        customer_id,
        amount,
        currency,
        provider,
        method,
        attempt,
        occurred_at
    from initiated
    union by name
    select
        payment_id,
        order_id,
        customer_id,
        amount,
        currency,
        provider,
        method,
        attempt,
        occurred_at
    from completed
    union by name
    select
        payment_id,
        order_id,
        customer_id,
        amount,
        currency,
        provider,
        method,
        attempt,
        occurred_at
    from failed
),

first_seen as (
    select * from attempts
    qualify row_number() over (partition by payment_id order by occurred_at) = 1
),

final as (
    select
        first_seen.payment_id,
        first_seen.order_id,
        first_seen.customer_id,
        first_seen.amount,
        first_seen.currency,
        first_seen.provider,
        first_seen.method,
        first_seen.attempt,
        completed.fraud_score,
        failed.failure_reason,
        initiated.occurred_at as initiated_at,
        completed.occurred_at as completed_at,
        failed.occurred_at as failed_at,
        coalesce(initiated.occurred_at, completed.occurred_at, failed.occurred_at)::date as payment_date,
        case
            when completed.payment_id is not null then 'completed'
            when failed.payment_id is not null then 'failed'
            else 'pending'
        end as payment_status,
        completed.payment_id is not null as is_successful
    from first_seen
    left join initiated on first_seen.payment_id = initiated.payment_id
    left join completed on first_seen.payment_id = completed.payment_id
    left join failed on first_seen.payment_id = failed.payment_id
)

select * from final
