import pytest

from rasbench.errors import ConfigError, DatasetError
from rasbench.paths import path_component


@pytest.mark.parametrize("name", ["KCF", "SiamRPN++", "Baseline+CF-conv3", "Jogging-1", "GOT-10k_Val_000001",
                                  "My Tracker", "$x^2$", "naïve"])
def test_plain_names_pass(name):
    assert path_component(name, "tracker name") == name


@pytest.mark.parametrize("name", ["", " ", "..", ".", ".hidden", "../x", "a/b", "a\\b", "/etc", "x\ny", "x\0y",
                                  " lead", "trail ", "c:x", "a" * 256, 7, None])
def test_unsafe_names_refused_with_the_source_named(name):
    with pytest.raises(ConfigError, match="sequence name in list.txt"):
        path_component(name, "sequence name in list.txt")


def test_error_class_is_the_callers():
    with pytest.raises(DatasetError):
        path_component("../../tmp/victim", "channel from description.json", DatasetError)


def test_a_cache_folder_that_is_a_file_is_one_clear_error(tmp_path, monkeypatch):
    from rasbench.paths import cache_dir

    monkeypatch.setenv("RASBENCH_CACHE", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"  # not there yet: made when first written
    (tmp_path / "cache").write_text("x")
    with pytest.raises(ConfigError, match=r"\$RASBENCH_CACHE .*cache is a file"):
        cache_dir()
