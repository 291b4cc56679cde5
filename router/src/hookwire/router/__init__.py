"""hookwire router: config loading, the rule engine and the router service."""

from ._config import Config, config_from_text, load_config
from ._errors import ConfigError, Problem, WhenError
from ._explain import Explanation, RuleReport, explain
from ._index import RuleIndex
from ._instances import PluginInstance, ResolvedPlugin
from ._manifest import Manifest, PluginPackage
from ._migrate import migrate
from ._modes import Mode, OnError
from ._when import When

__all__ = [
    "Config",
    "ConfigError",
    "Explanation",
    "Manifest",
    "Mode",
    "OnError",
    "PluginInstance",
    "PluginPackage",
    "Problem",
    "ResolvedPlugin",
    "RuleIndex",
    "RuleReport",
    "When",
    "WhenError",
    "config_from_text",
    "explain",
    "load_config",
    "migrate",
]
