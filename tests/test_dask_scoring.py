"""Dask and LSDB scoring (astrokeras.dask_scoring) on a LocalCluster: same latents as embed()."""

import os

import keras
import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import astrokeras as ak  # noqa: E402
from astrokeras.dask_scoring import partition_by_object, score_dask  # noqa: E402
from astrokeras.downstream import embed  # noqa: E402


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask")
    lcs = ak.simulate("ztf", n=120, classes=["SN Ia", "SN II"], seed=8, sed="analytic", post_trigger_days=120.0)
    keras.utils.set_random_seed(1)
    encoder = ak.GRUEncoder(gru_units=8, dense_units=(8,), latent_dim=4)
    path = str(folder / "encoder.keras")
    encoder.save(path)
    return lcs, path, embed(encoder, lcs)


@pytest.fixture(scope="module")
def client():
    # in-process workers: reliable and quick on a 2-core machine; benchmarks/scoring_scale.py runs processes
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cl, \
            distributed.Client(cl) as c:
        yield c


def _z(frame):
    return frame[[c for c in frame.columns if c.startswith("z_")]].to_numpy()


def test_score_dask_on_a_local_cluster_matches_embed(setup, client):
    lcs, path, z = setup
    rows = lcs.photometry.sample(frac=1.0, random_state=0)  # objects scattered over partitions
    ddf = partition_by_object(dd.from_pandas(rows, npartitions=4), npartitions=3)
    scored = score_dask(ddf, path)
    assert scored.npartitions == 3
    out = scored.compute().set_index("object_id")
    assert out.index.is_unique and sorted(out.index) == sorted(lcs.object_ids)
    np.testing.assert_allclose(_z(out.loc[lcs.object_ids]), z, atol=1e-5)
    assert list(scored.columns) == ["object_id", "z_0", "z_1", "z_2", "z_3"]


def test_score_dask_refuses_model_objects(setup):
    lcs, path, _ = setup
    ddf = dd.from_pandas(lcs.photometry, npartitions=1)
    with pytest.raises(TypeError, match="name or a .keras path"):
        score_dask(ddf, keras.models.load_model(path))


# nested-pandas (under lsdb) calls NestedFrame.set_index(inplace=True), deprecated in pandas 3.1: not ours to fix
@pytest.mark.filterwarnings("ignore:The inplace keyword in NestedFrame:DeprecationWarning")
def test_lsdb_hats_catalog_same_call(setup, client, tmp_path):
    lsdb = pytest.importorskip("lsdb")
    lcs, path, z = setup
    rng = np.random.default_rng(0)
    positions = pd.DataFrame({"object_id": lcs.object_ids, "ra": rng.uniform(0, 360, len(lcs)),
                              "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, len(lcs))))})
    rows = lcs.photometry.merge(positions, on="object_id")  # each row carries its object's position
    rows["band"] = rows["band"].astype(str)
    catalog = lsdb.from_dataframe(rows, ra_column="ra", dec_column="dec", catalog_name="tiny_photometry",
                                  lowest_order=1, highest_order=3, partition_rows=3000)
    catalog.write_catalog(str(tmp_path / "tiny_photometry"))
    reopened = lsdb.open_catalog(str(tmp_path / "tiny_photometry"))
    assert reopened.get_healpix_pixels() and len(reopened.get_healpix_pixels()) > 1
    out = score_dask(reopened, path).compute().set_index("object_id")
    assert out.index.is_unique and sorted(out.index) == sorted(lcs.object_ids)
    np.testing.assert_allclose(_z(out.loc[lcs.object_ids]), z, atol=1e-5)
    assert os.path.isdir(tmp_path / "tiny_photometry")
