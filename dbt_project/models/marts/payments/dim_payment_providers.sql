-- One row per payment provider that has processed a payment attempt.
with

initiated as (
    select * from {{ ref('stg_payments__payments_initiated') }}
),

final as (
    select
        provider,
        min(occurred_at) as first_payment_at,
        list_sort(list_distinct(list(method))) as methods
    from initiated
    group by provider
)

select * from final
