"""The centre directory, API keys, and the canonical codes of DESIGN §4.

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 21:11:59.222658
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Canonical codes as they stood when this revision was written (labels may change later).
REGIONS = [
    ('01', 'Bas-Saint-Laurent', 'Bas-Saint-Laurent'),
    ('02', 'Saguenay–Lac-Saint-Jean', 'Saguenay–Lac-Saint-Jean'),
    ('03', 'Capitale-Nationale', 'Capitale-Nationale'),
    ('04', 'Mauricie', 'Mauricie'),
    ('05', 'Estrie', 'Eastern Townships'),
    ('06', 'Montréal', 'Montréal'),
    ('07', 'Outaouais', 'Outaouais'),
    ('08', 'Abitibi-Témiscamingue', 'Abitibi-Témiscamingue'),
    ('09', 'Côte-Nord', 'Côte-Nord'),
    ('10', 'Nord-du-Québec', 'Nord-du-Québec'),
    ('11', 'Gaspésie–Îles-de-la-Madeleine', 'Gaspésie–Îles-de-la-Madeleine'),
    ('12', 'Chaudière-Appalaches', 'Chaudière-Appalaches'),
    ('13', 'Laval', 'Laval'),
    ('14', 'Lanaudière', 'Lanaudière'),
    ('15', 'Laurentides', 'Laurentians'),
    ('16', 'Montérégie', 'Montérégie'),
    ('17', 'Centre-du-Québec', 'Centre-du-Québec'),
]
SPECIALTIES = [
    ('job_search', "Recherche d'emploi", 'Job search'),
    ('career_guidance', 'Orientation professionnelle', 'Career guidance'),
    ('career_change', 'Réorientation de carrière', 'Career change'),
    ('return_to_school', 'Retour aux études', 'Return to school'),
    ('resume_interview', 'CV, lettre et entrevue', 'Résumé and interview preparation'),
    ('skills_recognition', 'Reconnaissance des compétences et des diplômes', 'Skills and credential recognition'),
    ('job_retention', 'Maintien en emploi', 'Job retention'),
    ('work_placement', 'Stages et intégration en entreprise', 'Work placements'),
    ('self_employment', "Démarrage d'entreprise", 'Self-employment'),
    ('newcomer_integration', 'Intégration des personnes immigrantes', 'Newcomer integration'),
    ('digital_skills', 'Compétences numériques', 'Digital skills'),
    ('group_workshops', "Ateliers de groupe, club de recherche d'emploi", 'Group workshops, job club'),
]
CLIENT_GROUPS = [
    ('general', 'Tout public', 'Everyone'),
    ('youth', 'Jeunes (16–35 ans)', 'Youth (16–35)'),
    ('experienced_workers', 'Travailleurs expérimentés (50 ans et plus)', 'Experienced workers (50+)'),
    ('immigrants', 'Personnes immigrantes', 'Immigrants'),
    ('asylum_seekers', "Demandeurs d'asile", 'Asylum seekers'),
    ('disabilities', 'Personnes handicapées', 'People with disabilities'),
    ('women', 'Femmes', 'Women'),
    ('justice_involved', 'Personnes judiciarisées', 'Justice-involved people'),
    ('indigenous', 'Personnes autochtones', 'Indigenous people'),
    ('social_assistance', "Prestataires de l'aide sociale", 'Social assistance recipients'),
    ('mental_health', 'Personnes vivant avec un trouble de santé mentale', 'People living with mental health issues'),
    ('retirees', 'Personnes retraitées', 'Retirees'),
]


def _seed() -> None:
    meta = sa.MetaData()
    region = sa.Table("region", meta, sa.Column("code"), sa.Column("name_fr"), sa.Column("name_en"))
    specialty = sa.Table(
        "specialty", meta, sa.Column("code"), sa.Column("label_fr"), sa.Column("label_en")
    )
    group = sa.Table(
        "client_group", meta, sa.Column("code"), sa.Column("label_fr"), sa.Column("label_en")
    )
    op.bulk_insert(region, [dict(code=c, name_fr=f, name_en=e) for c, f, e in REGIONS])
    op.bulk_insert(specialty, [dict(code=c, label_fr=f, label_en=e) for c, f, e in SPECIALTIES])
    op.bulk_insert(group, [dict(code=c, label_fr=f, label_en=e) for c, f, e in CLIENT_GROUPS])
    state = sa.Table("directory_state", meta, sa.Column("id"), sa.Column("version"),
                     sa.Column("changed_at"))
    op.bulk_insert(state, [dict(id=1, version=0, changed_at=datetime.now(UTC))])


def upgrade() -> None:
    op.create_table('centre',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ref', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('description_fr', sa.String(length=4000), nullable=True),
    sa.Column('description_en', sa.String(length=4000), nullable=True),
    sa.Column('languages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('modes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('intake_status', sa.String(length=10), nullable=False),
    sa.Column('weekly_capacity', sa.Integer(), nullable=False),
    sa.Column('age_min', sa.Integer(), nullable=True),
    sa.Column('age_max', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_centre')),
    sa.UniqueConstraint('ref', name=op.f('uq_centre_ref'))
    )
    with op.batch_alter_table('centre', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_centre_active'), ['active'], unique=False)

    op.create_table('client_group',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label_fr', sa.String(length=120), nullable=False),
    sa.Column('label_en', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_client_group'))
    )
    op.create_table('directory_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_state'))
    )
    op.create_table('region',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name_fr', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_region'))
    )
    op.create_table('specialty',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label_fr', sa.String(length=120), nullable=False),
    sa.Column('label_en', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_specialty'))
    )
    op.create_table('api_key',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('centre_id', sa.Uuid(), nullable=True),
    sa.Column('label', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_api_key_centre_id_centre'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_key_prefix'), ['prefix'], unique=False)

    op.create_table('centre_client_group',
    sa.Column('centre_id', sa.Uuid(), nullable=False),
    sa.Column('client_group_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_centre_client_group_centre_id_centre'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_group_code'], ['client_group.code'], name=op.f('fk_centre_client_group_client_group_code_client_group')),
    sa.PrimaryKeyConstraint('centre_id', 'client_group_code', name=op.f('pk_centre_client_group'))
    )
    op.create_table('centre_region',
    sa.Column('centre_id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_centre_region_centre_id_centre'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_centre_region_region_code_region')),
    sa.PrimaryKeyConstraint('centre_id', 'region_code', name=op.f('pk_centre_region'))
    )
    op.create_table('centre_specialty',
    sa.Column('centre_id', sa.Uuid(), nullable=False),
    sa.Column('specialty_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_centre_specialty_centre_id_centre'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['specialty_code'], ['specialty.code'], name=op.f('fk_centre_specialty_specialty_code_specialty')),
    sa.PrimaryKeyConstraint('centre_id', 'specialty_code', name=op.f('pk_centre_specialty'))
    )
    op.create_table('inbox_endpoint',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('centre_id', sa.Uuid(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=200), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_inbox_endpoint_centre_id_centre'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_endpoint')),
    sa.UniqueConstraint('centre_id', name=op.f('uq_inbox_endpoint_centre_id'))
    )
    op.create_table('location',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('centre_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('municipality', sa.String(length=120), nullable=True),
    sa.Column('municipality_code', sa.String(length=5), nullable=True),
    sa.Column('postal_code', sa.String(length=7), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('region_code', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centre.id'], name=op.f('fk_location_centre_id_centre'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_location_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location'))
    )
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_location_centre_id'), ['centre_id'], unique=False)
    _seed()


def downgrade() -> None:
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_location_centre_id'))

    op.drop_table('location')
    op.drop_table('inbox_endpoint')
    op.drop_table('centre_specialty')
    op.drop_table('centre_region')
    op.drop_table('centre_client_group')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_prefix'))
        batch_op.drop_index(batch_op.f('ix_api_key_centre_id'))

    op.drop_table('api_key')
    op.drop_table('specialty')
    op.drop_table('region')
    op.drop_table('directory_state')
    op.drop_table('client_group')
    with op.batch_alter_table('centre', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_centre_active'))

    op.drop_table('centre')
