"""hookwire router: config loading, the rule engine and the router service."""

from hookwire.router.catalog._manifest import Manifest, PluginPackage
from hookwire.router.config._load import Config, config_from_text, load_config
from hookwire.router.config._migrate import migrate
from hookwire.router.errors import ConfigError, Problem, WhenError
from hookwire.router.routing._explain import Explanation, RuleReport, explain
from hookwire.router.routing._index import RuleIndex
from hookwire.router.routing._instances import PluginInstance, ResolvedPlugin
from hookwire.router.routing._modes import Mode, OnError
from hookwire.router.routing._when import When

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
