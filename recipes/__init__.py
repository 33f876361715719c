"""Recipes: one module per paper table or figure; each has get_config(quick), run(config, workdir), main(argv).

Recipes import only the public ``astrokeras`` API; the library never imports recipes.
"""
