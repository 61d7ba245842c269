-- One row per product, warehouse and day from the first inventory event of the pair to the last
-- day with any inventory event: closing stock levels of the day and whether it ran out.
-- The range join below leaves DuckDB estimating 0 pair-days, so it would run the first ASOF join
-- as a nested loop (50 CPU-s at 10M events instead of 1); the threshold 0 keeps both ASOF joins.
{{
    config(
        pre_hook="set asof_loop_join_threshold = 0",
        post_hook="reset asof_loop_join_threshold"
    )
}}

with

movements as (
    select * from {{ ref('fct_inventory_movements') }}
),

days as (
    select * from {{ ref('int_dates_spined') }}
),

pairs as (
    select
        product_id,
        warehouse_id,
        min(occurred_date) as first_date
    from movements
    group by product_id, warehouse_id
),

pair_days as (
    select
        pairs.product_id,
        pairs.warehouse_id,
        days.date_day,
        days.date_day + interval 1 day as day_end
    from pairs
    inner join days
        on
            pairs.first_date <= days.date_day
            and days.date_day <= (select max(movements.occurred_date) from movements)
),

-- physical stock only changes on level changes; available also moves with reservations
on_hand_events as (
    select * from movements
    where quantity_on_hand is not null
),

stockouts as (
    select
        product_id,
        warehouse_id,
        occurred_date,
        true as had_stockout
    from movements
    where quantity_available = 0
    group by product_id, warehouse_id, occurred_date
),

closing as (
    select
        pair_days.product_id,
        pair_days.warehouse_id,
        pair_days.date_day,
        on_hand_events.quantity_on_hand,
        movements.quantity_available
    from pair_days
    asof left join movements
        on
            pair_days.product_id = movements.product_id
            and pair_days.warehouse_id = movements.warehouse_id
            and pair_days.day_end > movements.occurred_at
    asof left join on_hand_events
        on
            pair_days.product_id = on_hand_events.product_id
            and pair_days.warehouse_id = on_hand_events.warehouse_id
            and pair_days.day_end > on_hand_events.occurred_at
),

final as (
    select
        closing.product_id,
        closing.warehouse_id,
        closing.date_day as stock_date,
        closing.quantity_on_hand as closing_quantity_on_hand,
        closing.quantity_available as closing_quantity_available,
        closing.product_id || '|' || closing.warehouse_id || '|' || strftime(closing.date_day, '%Y-%m-%d')
            as daily_stock_id,
        coalesce(stockouts.had_stockout, false) as had_stockout
    from closing
    left join stockouts
        on
            closing.product_id = stockouts.product_id
            and closing.warehouse_id = stockouts.warehouse_id
            and closing.date_day = stockouts.occurred_date
)

select * from final
