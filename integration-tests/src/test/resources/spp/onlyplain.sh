#!/bin/sh
# onlyplain: an spp [auth] plugin accepting one AUTH mechanism only (ALLOWEDAUTH, default plain).
allowed=${ALLOWEDAUTH:-plain}
if [ "$SMTPAUTHMETHOD" != "$allowed" ]; then
    echo "onlyplain: $SMTPAUTHUSER used $SMTPAUTHMETHOD" >&2
    echo "E535 5.7.8 use AUTH $(echo "$allowed" | tr a-z A-Z), $SMTPAUTHUSER"
fi
