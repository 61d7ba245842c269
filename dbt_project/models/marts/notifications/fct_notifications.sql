-- One row per notification: handed to a provider, then delivered or failed.
with

sent as (
    select * from {{ ref('stg_notifications__notifications_sent') }}
),

delivered as (
    select
        notification_id,
        min(occurred_at) as delivered_at
    from {{ ref('stg_notifications__notifications_delivered') }}
    group by notification_id
),

failed as (
    select
        notification_id,
        min(occurred_at) as failed_at,
        arg_min(failure_reason, occurred_at) as failure_reason
    from {{ ref('stg_notifications__notifications_failed') }}
    group by notification_id
),

final as (
    select
        sent.notification_id,
        sent.customer_id,
        sent.channel,
        sent.template,
        sent.related_id,
        failed.failure_reason,
        sent.occurred_at as sent_at,
        delivered.delivered_at,
        failed.failed_at,
        sent.occurred_at::date as sent_date,
        delivered.delivered_at is not null as is_delivered,
        failed.failed_at is not null as is_failed
    from sent
    left join delivered on sent.notification_id = delivered.notification_id
    left join failed on sent.notification_id = failed.notification_id
    qualify row_number() over (partition by sent.notification_id order by sent.occurred_at, sent.event_id) = 1
)

select * from final
