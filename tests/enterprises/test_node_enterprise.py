"""A grid has at most one node enterprise, and the database itself holds that line."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from app.enterprises.models import Enterprise


def test_a_second_node_enterprise_in_a_grid_is_refused(session):
    node = session.exec(select(Enterprise).where(col(Enterprise.is_node))).first()
    other = session.exec(
        select(Enterprise).where(Enterprise.grid_id == node.grid_id, ~col(Enterprise.is_node))
    ).first()
    other.is_node = True
    session.add(other)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_switching_the_node_enterprise_within_a_grid_works(session):
    node = session.exec(select(Enterprise).where(col(Enterprise.is_node))).first()
    other = session.exec(
        select(Enterprise).where(Enterprise.grid_id == node.grid_id, ~col(Enterprise.is_node))
    ).first()
    node.is_node = False
    session.add(node)
    session.flush()
    other.is_node = True
    session.add(other)
    session.flush()
    nodes = session.exec(
        select(Enterprise.id).where(Enterprise.grid_id == node.grid_id, col(Enterprise.is_node))
    ).all()
    assert nodes == [other.id]
