"""What a first run says: `parkgrid migrate`, `parkgrid demo` and the server's start."""

import re
import socket
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from app import cli as cli_module
from app.cli import cli
from app.core import config, db
from app.core.config import Settings


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Iterator[str]:
    """The command line on a database file that does not exist yet."""
    url = f"sqlite:///{tmp_path / 'first.db'}"
    monkeypatch.setenv("PARKGRID_DATABASE_URL", url)
    monkeypatch.setenv("PARKGRID_EVIDENCE_DIR", str(tmp_path / "evidence"))
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield url
    db.get_engine().dispose()
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()


def test_migrate_says_it_created_the_database_then_that_it_is_current(fresh):
    runner = CliRunner()
    first = runner.invoke(cli, ["migrate"])
    assert first.exit_code == 0, first.output
    m = re.fullmatch(r"已创建数据库并升级到最新版本 ([0-9a-f]{12})。\n", first.output)
    assert m, first.output
    again = runner.invoke(cli, ["migrate"])
    assert again.output == f"数据库已是最新版本（{m.group(1)}）。\n"


def test_demo_names_its_counts_and_keeps_a_loaded_database(fresh, tmp_path, capsys):
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    done = runner.invoke(cli, ["demo", "--if-empty"])
    assert done.exit_code == 0, done.output
    assert "DemoSummary(" not in done.output
    assert done.output.splitlines() == [
        "已载入无锡演示数据：",
        "  区县：8 个",
        "  园区：15 个",
        "  网格：81 个",
        "  企业：1227 家（职工 100006 人）",
        "  联络员：1017 人",
        "  考核季度：9 个，其中 2026Q4 正在填报",
        "  账号：40 个（启动服务时列出）",
    ]
    # The tour's evidence files went to the configured folder.
    assert len(list((tmp_path / "evidence").glob("??/*"))) == 4
    kept = runner.invoke(cli, ["demo", "--if-empty"])
    assert kept.exit_code == 0
    assert kept.output == "数据库中已有数据：已保留原有数据，未载入演示数据。\n"
    refused = runner.invoke(cli, ["demo"])
    assert refused.exit_code == 1 and "只能载入空数据库" in refused.output

    # The server's start names the address and the demo accounts with their password.
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        lines = _announced(capsys, Settings(), "0.0.0.0", port)
    assert lines[0] == f"ParkGrid 已启动：请在浏览器中打开 http://127.0.0.1:{port}"
    assert lines[1] == "演示账号（密码均为 parkgrid-demo）："
    assert lines[2].split() == ["city_admin", "市产改办管理员"]
    assert [line.split()[0] for line in lines[2:7]] == list(cli_module.DEMO_ACCOUNTS)
    assert lines[7].strip().startswith("另有 35 个：各区产改办 district_<区县>")
    # Never in production (where the app would refuse to start anyway).
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        prod = _announced(
            capsys, Settings(env="production", secret_key="p" * 40), "127.0.0.1", port
        )
    assert prod == [f"ParkGrid 已启动：请在浏览器中打开 http://127.0.0.1:{port}"]


def test_the_start_message_waits_for_the_server(fresh, capsys):
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, never listening: nobody answers
        assert _announced(capsys, Settings(), "127.0.0.1", port, wait=0.5) == []


def _announced(capsys, settings, host, port, wait=10.0) -> list[str]:
    capsys.readouterr()
    cli_module._announce(settings, host, port, wait=wait)
    return capsys.readouterr().out.splitlines()
