"""Everything that plugs into Rasa: the tracker, lock store and event broker named in
endpoints.yml, the patches to Rasa's own code, and the server entry point that installs them."""
