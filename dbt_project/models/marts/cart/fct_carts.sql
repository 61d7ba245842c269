-- One row per cart: when it was created, its items, and whether it ended converted into an order
-- or abandoned (a cart abandoned and later converted counts as converted).
with

created as (
    select * from {{ ref('stg_cart__carts_created') }}
),

cart_events as (
    select * from {{ ref('fct_cart_events') }}
),

activity as (
    select
        cart_id,
        count(*) filter (where cart_event_type = 'item_added') as items_added,
        count(*) filter (where cart_event_type = 'item_removed') as items_removed,
        min(occurred_at) filter (where cart_event_type = 'cart_converted') as converted_at,
        min(occurred_at) filter (where cart_event_type = 'cart_abandoned') as abandoned_at,
        any_value(order_id) filter (where cart_event_type = 'cart_converted') as order_id
    from cart_events
    group by cart_id
),

abandonments as (
    select
        cart_id,
        arg_min(cart_value, occurred_at) as abandoned_cart_value,
        arg_min(item_count, occurred_at) as abandoned_item_count
    from {{ ref('stg_cart__carts_abandoned') }}
    group by cart_id
),

final as (
    select
        created.cart_id,
        created.session_id,
        created.customer_id,
        created.currency,
        activity.order_id,
        abandonments.abandoned_cart_value,
        abandonments.abandoned_item_count,
        created.occurred_at as created_at,
        activity.converted_at,
        activity.abandoned_at,
        created.occurred_at::date as created_date,
        coalesce(activity.items_added, 0) as items_added,
        coalesce(activity.items_removed, 0) as items_removed,
        activity.converted_at is not null as is_converted,
        activity.abandoned_at is not null and activity.converted_at is null as is_abandoned
    from created
    left join activity on created.cart_id = activity.cart_id
    left join abandonments on created.cart_id = abandonments.cart_id
    qualify row_number() over (partition by created.cart_id order by created.occurred_at, created.event_id) = 1
)

select * from final
