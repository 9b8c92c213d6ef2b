"""The run order: the steps of one gate run, declared once and executed by the CLI, the library and the flow."""
