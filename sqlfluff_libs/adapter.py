"""sqlfluff's stand-in for dbt's ``adapter`` (.sqlfluff, library_path): ``adapter.dispatch(name)``
renders the macro's ``default__`` version, the DuckDB SQL, which is what the house style lints."""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    return context[f"default__{macro_name}"]
