"""The inbound path's services: who texted and what they were asked, and the text's records."""
