"""The fast path: the few tricks that earn their keep, behind one fence.

Everything else in the house is written the plain way (FastAPI parameters and dependencies,
pydantic response models, values in and out of app.matching). A trick lives here only with
the benchmark figure that justifies it in its docstring (the command and the numbers) and a
parity test beside it in tests/fastpath/ that checks it answers what the plain way answers.
Only the routers named in the import contract (pyproject.toml, `make check`) import it.

- `json_body.JsonBodyRoute`: a JSON body validated from its bytes by pydantic-core
  (POST /v1/matches).
- `match_answer.match_answer_json`: the /v1/matches answer serialised straight from the
  ranking, without validating it again against the response model.
- `blobs`: documents kept serialised: a region's GeoJSON geometry, the centres'
  FeatureCollection per directory snapshot.
"""
