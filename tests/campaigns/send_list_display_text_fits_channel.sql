-- Every display text fits its channel: at most max_text_length characters, no control character
-- (a line break or a tab breaks a till printer and a CSV reader), and it ends with the item's price.
with send_list as (

    select * from {{ ref('send_list') }}

),

channels as (

    select * from {{ ref('channels') }}

)

select
    send_list.send_id,
    send_list.user_id,
    send_list.position,
    send_list.display_text,
    length(send_list.display_text) as text_length,
    channels.max_text_length
from send_list
inner join channels
    on send_list.channel = channels.channel
where length(send_list.display_text) > channels.max_text_length
    or {{ has_control_characters('send_list.display_text') }}
    or right(send_list.display_text, length(printf('$%.2f', send_list.price))) <> printf('$%.2f', send_list.price)
