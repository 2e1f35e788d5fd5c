"""Google Business Profile reviews: polled into the inbox, answered with the owner's reply."""
