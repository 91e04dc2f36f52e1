"""Runs the trained model's graph (NLU, then the policies) one node after another.

Rasa hands each prediction to dask's synchronous scheduler, which plans the
graph afresh on every call: three times a turn, and about a tenth of a turn's
CPU time (reports/bench.md). A prediction graph is small and runs in one
thread anyway, so this runner works out the order of the nodes once per set
of targets and then just calls them. The nodes, their inputs and the result
are Rasa's own; only the scheduling differs.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

# (node name, names of the nodes or inputs it takes, in its argument order)
Plan = List[Tuple[Text, List[Text]]]


class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner without dask: same nodes and results, a plan made once per set of targets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Text, ...], Plan] = {}

    def _plan(self, targets: Tuple[Text, ...]) -> Plan:
        """The nodes the targets depend on, each after everything it needs."""
        if targets not in self._plans:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            plan: Plan = []
            placed = set()

            def place(name: Text, path: Tuple[Text, ...]) -> None:
                if name in placed or name not in nodes:  # done, or an input given at run time
                    return
                if name in path:
                    raise GraphRunError(f"The graph has a cycle through '{name}'.")
                needs = list(nodes[name].needs.values())
                for need in needs:
                    place(need, path + (name,))
                placed.add(name)
                plan.append((name, needs))

            for target in targets:
                place(target, ())
            self._plans[targets] = plan
        return self._plans[targets]

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        plan = self._plan(run_targets)
        results: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in self._graph_schema.nodes:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the "
                    f"input names passed to the `run` method are the same as node names in the graph schema."
                )
            results[name] = (name, value)
        try:
            for name, needs in plan:
                # a need nobody provided is passed as its bare name, as dask does; the node reports it
                results[name] = self._instantiated_nodes[name](*(results.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)
