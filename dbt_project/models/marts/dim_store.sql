{{ config(tags=['dimension']) }}
-- Store dimension (contract): one row per store.
select store_id, store_name as name, timezone
from {{ ref('stg_stores') }}
