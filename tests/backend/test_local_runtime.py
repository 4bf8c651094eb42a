"""The local stack invokes handlers as Lambda does; its functions start cold side by side."""

from __future__ import annotations

import subprocess
import sys

# In a fresh interpreter, so that nothing is imported yet: every function of the template
# starts cold at the same moment, each in its own thread, as the gateway's and the
# poller's first events do. Each handler module must be imported whole.
COLD_STARTS = """
import sys, threading
from scalper_backend.local.runtime import LocalFunction
from scalper_backend.local.template import Template, default_template_path

template = Template(default_template_path(), stack_name="cold", region="us-east-1")
functions = [LocalFunction(template, name) for name in template.of_type("AWS::Serverless::Function")]
barrier = threading.Barrier(len(functions))
failures = []

def cold_start(function):
    barrier.wait()
    try:
        function.invoke({})
    except ImportError as err:
        failures.append(repr(err))
    except Exception:
        pass  # imported, then refused the empty event
    if function.handler_path.rpartition(".")[0] not in sys.modules:
        failures.append(f"{function.logical_id} was not imported")

threads = [threading.Thread(target=cold_start, args=(f,)) for f in functions]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("\\n".join(failures))
"""


def test_functions_starting_cold_at_once_all_load_their_handlers():
    # Four interpreters at once: an import race shows up in most runs, not all.
    runs = [
        subprocess.Popen([sys.executable, "-c", COLD_STARTS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]

    assert [run.returncode for run in runs] == [0] * 4, outputs
    assert [out.strip() for out, _ in outputs] == [""] * 4
