{#- The raw table keeps every Kafka record, so a producer retry appears twice with one event_id:
    keep the first delivery. Timestamps become naive UTC so that `::date` means the UTC day
    whatever the session time zone is. -#}
{% macro deduplicated_events(source_name, event_type) -%}
    select
        event_id,
        schema_version,
        correlation_id,
        causation_id,
        payload,
        timezone('UTC', event_time) as occurred_at,
        timezone('UTC', ingested_at) as ingested_at
    from {{ source(source_name, 'events') }}
    where event_type = '{{ event_type }}'
    qualify
        row_number() over (
            partition by event_id order by ingested_at, "partition", "offset"
        ) = 1
{%- endmacro %}
